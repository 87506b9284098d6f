// Property tags the display templates bind their controls to (MS-OXPROPS / MS-OXOABK names; PR_* alternates in
// comments). String properties use PT_STRING8 (0x001E) because the template is 8-bit (MS-OXOABKT 2.2.2.1.3) and
// Exchange's own templates do the same (evidence: the en-US Exchange display templates gromox ships as
// data/409-*.abkt bind 0x3A06001E etc.). List boxes take PT_OBJECT (0x000D) link properties, whose rows the client
// reads as a property value-based explicit table (MS-OXNSPI 3.1.1.3.2.2, which NspiGetMatches builds).

// General: name and address (MS-OXOABK 2.2.4)
export const PidTagGivenName = 0x3a06001e; // PR_GIVEN_NAME
export const PidTagInitials = 0x3a0a001e; // PR_INITIALS
export const PidTagSurname = 0x3a11001e; // PR_SURNAME
export const PidTagDisplayName = 0x3001001e; // PR_DISPLAY_NAME
export const PidTagAccount = 0x3a00001e; // PR_ACCOUNT, the alias (mailNickname)
export const PidTagStreetAddress = 0x3a29001e; // PR_STREET_ADDRESS
export const PidTagLocality = 0x3a27001e; // PR_LOCALITY (city)
export const PidTagStateOrProvince = 0x3a28001e; // PR_STATE_OR_PROVINCE
export const PidTagPostalCode = 0x3a2a001e; // PR_POSTAL_CODE
export const PidTagCountry = 0x3a26001e; // PR_COUNTRY
export const PidTagTitle = 0x3a17001e; // PR_TITLE
export const PidTagCompanyName = 0x3a16001e; // PR_COMPANY_NAME
export const PidTagDepartmentName = 0x3a18001e; // PR_DEPARTMENT_NAME
export const PidTagOfficeLocation = 0x3a19001e; // PR_OFFICE_LOCATION
export const PidTagAssistant = 0x3a30001e; // PR_ASSISTANT
export const PidTagComment = 0x3004001e; // PR_COMMENT (notes / info)

// Telephone numbers (MS-OXOABK 2.2.4)
export const PidTagBusinessTelephoneNumber = 0x3a08001e; // PR_BUSINESS_TELEPHONE_NUMBER
export const PidTagHomeTelephoneNumber = 0x3a09001e; // PR_HOME_TELEPHONE_NUMBER
export const PidTagBusiness2TelephoneNumbers = 0x3a1b101e; // PR_BUSINESS2_TELEPHONE_NUMBER_A_MV
export const PidTagHome2TelephoneNumbers = 0x3a2f101e; // PR_HOME2_TELEPHONE_NUMBER_A_MV
export const PidTagPrimaryFaxNumber = 0x3a23001e; // PR_PRIMARY_FAX_NUMBER
export const PidTagMobileTelephoneNumber = 0x3a1c001e; // PR_MOBILE_TELEPHONE_NUMBER
export const PidTagAssistantTelephoneNumber = 0x3a2e001e; // PR_ASSISTANT_TELEPHONE_NUMBER
export const PidTagPagerTelephoneNumber = 0x3a21001e; // PR_PAGER_TELEPHONE_NUMBER

// Links to other Address Book objects, shown as list boxes (MS-OXOABK 2.2.5 / 2.2.6)
export const PidTagAddressBookManager = 0x8005000d; // PR_EMS_AB_MANAGER
export const PidTagAddressBookReports = 0x800e000d; // PR_EMS_AB_REPORTS (direct reports)
export const PidTagAddressBookIsMemberOfDistributionList = 0x8008000d; // PR_EMS_AB_IS_MEMBER_OF_DL
export const PidTagAddressBookMember = 0x8009000d; // PR_EMS_AB_MEMBER
export const PidTagAddressBookOwner = 0x800c000d; // PR_EMS_AB_OWNER

// Addresses
export const PidTagAddressBookProxyAddresses = 0x800f101e; // PR_EMS_AB_PROXY_ADDRESSES ("SMTP:...", "X500:...")
export const PidTagAddressBookTargetAddress = 0x8011001e; // PR_EMS_AB_TARGET_ADDRESS (a contact's external address)
export const PidTagSendRichInfo = 0x3a40000b; // PR_SEND_RICH_INFO (contact: send RTF)

/** The only property a button may act on (MS-OXOABKT 2.2.2.1.3.6; MS-OXOABK 2.2.10.2). */
export const PidTagAddressBookManageDistributionList = 0x6704000d; // PR_EMS_AB_MANAGE_DL
